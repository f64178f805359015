"""The server's domain logic, free of HTTP: views call these and translate the result."""
