"""The production layout (README "Running it for real"): the nginx site, systemd units, the env file template,
the static files, and `make deploy-local`, which runs the same layout on one machine."""
