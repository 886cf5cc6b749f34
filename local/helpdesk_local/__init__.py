"""Engineer-only tooling: embedded AWS, the local runtime, the CLI and the demo. Never shipped to Lambda."""
