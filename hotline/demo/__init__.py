"""The demo city: a lived-in past month (seed-demo --history) and a live day (simulate), both through the real
actions. Nothing here is imported by the application itself; the CLI and the simulator page call it."""
