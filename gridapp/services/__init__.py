"""Use cases: one function per action, one transaction each; authorisation is checked here.

Services take plain values (never ``flask.request``) and raise :mod:`gridapp.errors` exceptions.
"""
