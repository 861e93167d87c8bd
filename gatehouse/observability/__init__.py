"""What every process exposes about itself: request ids, Prometheus metrics."""
