"""The local stack: bootstrap, service definitions, the supervisor and the `beacon` CLI."""
