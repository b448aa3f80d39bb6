"""The reference We Are story: a page, its server side, and a Python client with one behaviour."""
