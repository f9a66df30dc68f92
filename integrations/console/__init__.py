"""The local provider for development and demos: records what would be sent."""
