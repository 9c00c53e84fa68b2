"""The data plane: real HTTP on loopback, so the lab's AWS resources actually carry traffic.

- :mod:`.addresses`: VPC addresses onto loopback (10.0.10.5 -> 127.0.10.5), ALB node addresses, the fallback.
- :mod:`.netpolicy`: would AWS let this connection through? Security groups, NACLs, route tables.
- :mod:`.rules`: which listener rule handles a request (conditions, priorities, actions).
- :mod:`.balancer`: which target gets it (round robin, least outstanding requests, slow start, fail-open).
- :mod:`.alb`: the ALB itself, a reverse proxy (:mod:`.http1` client side, :mod:`.upstream` target side).
- :mod:`.accesslogs`: AWS-format access logs, gzip files to S3 every 5 minutes;
  :mod:`.logdelivery`: the bucket policy they need.
- :mod:`.loop`: the event loop it all runs on (uvloop where available, else asyncio's).
- :mod:`.instances`: each instance's web app, guarded by its security groups; real health checks.
- :mod:`.service`: all of it inside the embedded cloud, driven by the simulator
  (:mod:`.snapshot` reads the APIs, :mod:`.probe` swaps in real health checks,
  :mod:`.loadmodel` feeds the CPU/CloudWatch model). ``GET /_awslab/dataplane`` shows the addresses.

Importing this package starts nothing; :mod:`.service` does, when the cloud imports it.
"""
