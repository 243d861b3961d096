"""mvcpy's documentation, served from the installed package: ``mvcpy docs`` and, in
development, ``/-/docs/`` of every app. See docs/running.md."""
