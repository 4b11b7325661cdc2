"""The endpoint-doc format: reading a doc into frozen, typed objects that keep their lines.

Pure: nothing here imports pytest or requests, or anything of :mod:`pytest_apispec.execution`.
"""
