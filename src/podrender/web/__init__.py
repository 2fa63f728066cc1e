"""The web page and JSON API (`podrender serve`).

`jobs` holds the render queue and the code that runs in render processes; it imports no web
framework, so a render process never pays for FastAPI. `app` is the FastAPI application.
"""
