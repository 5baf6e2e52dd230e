"""Static files of the web console (served by executor.api.routes_console)."""
