"""Running a doc's steps over a ``requests.Session``: render, send, check, extract, report.

Pure: nothing here imports pytest; it reads docs through :mod:`pytest_apispec.docformat` only.
"""
