"""CloudFront's edge on loopback: each distribution serves HTTP on its own address (issue 14, section 3).

- :mod:`.expiration`: how long an object stays in the cache (the behaviour's TTLs, the origin's Cache-Control).
- :mod:`.cache`: the edge cache in simulated time, emptied by invalidations.
- :mod:`.s3origin`: reading the bucket through an origin access control (the bucket policy decides).
- :mod:`.distribution`: a distribution's config as read through the CloudFront API; which behaviour a path takes.
- :mod:`.edge`: the HTTP server of one distribution.
- :mod:`.service`: the edges inside the embedded cloud (started with the data plane, ``GET /_awslab/cloudfront``).
"""
