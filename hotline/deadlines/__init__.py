"""Working-day calendar and due-time computation (限时办结)."""
