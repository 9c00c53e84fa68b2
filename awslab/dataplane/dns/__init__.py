"""Route 53 answers: a DNS server on loopback for the lab's public hosted zones and AWS's own names.

- :mod:`.zones`: one hosted zone's record sets as DNS data (``list_resource_record_sets`` -> :class:`~.zones.Zone`).
- :mod:`.targets`: AWS's names (ALB, DB instance, CloudFront, S3 website) and the local address each answers.
- :mod:`.resolve`: the answer to one question, as Route 53's name servers give it (a pure function).
- :mod:`.server`: UDP and TCP on one port, with every hostile input bounded.
- :mod:`.service`: the server inside the embedded cloud; ``GET /_awslab/dns`` shows its port and zones.

``dig @127.0.0.1 -p 10053 api.example.com`` asks it (``awslab status`` prints the port).
Importing this package starts nothing; :mod:`.service` does, when the cloud imports it.
"""
