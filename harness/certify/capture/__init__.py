"""`certify --capture`: the capture page (a cmi5 AU), its server, the course package, the run."""
