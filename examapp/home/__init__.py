"""Home pages, error pages and the health check."""
