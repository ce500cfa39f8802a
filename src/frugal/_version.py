"""frugal's version (read by the package root, telemetry's instrumentation scope and the CLI)."""

__version__ = "0.1.0.dev0"
