"""otel-injector's Python bootstrap (see docs/python.md). Imported by ../sitecustomize.py."""
