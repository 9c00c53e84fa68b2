"""RDS as a network service: each DB instance a MySQL server on its endpoint, behind its security groups.

- :mod:`.engine`: the SQL engine behind the wire protocol (SQLite files, one per MySQL database).
- :mod:`.view`: the DB instances as ``describe-db-instances`` shows them, and where each listens.
- :mod:`.server`: the MySQL servers (mysql-mimic) on the DB instances' loopback addresses.
- :mod:`.appdb`: an instance's web app connecting to its database from the instance's own address.
"""
