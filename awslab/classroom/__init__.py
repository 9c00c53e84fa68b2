"""A class on one machine: each student's server with its own embedded cloud, and the instructor's view.

- ``student``  the launcher JupyterHub's spawner runs: the student's key, their cloud, then their server.
- ``progress`` the instructor's view: who passed which checks, read from each student's progress file only.
- ``table``    that view as one HTML table (a row per student, a column per lab), sized for a notebook.
- ``view``     the table in a notebook, read again on a button or a bounded timer (``awslab.class_progress_view``).
"""
