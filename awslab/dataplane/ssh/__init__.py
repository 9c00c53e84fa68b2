"""SSH into the lab's instances, as on AWS: the bastion from your address, the app servers through it.

- :mod:`.server`: an SSH server (asyncssh) on every running instance's loopback address, key-only login as
  ``ec2-user`` with the instance's key pair, guarded by the security groups like the web apps.
- :mod:`.sourcefilter`: a denied caller's SYN is dropped (a socket filter), so ``ssh`` times out as on AWS.
- :mod:`.hostkeys`: each instance's host key (made at launch, kept 0400) and authorized_keys.
- :mod:`.shell` and :mod:`.commands`: the small simulated shell a session runs.
- :mod:`.hop`: ``ssh -J`` relays and ``ssh`` typed on the bastion, from the instance's own address.
- :mod:`.clientconfig`: what ``awslab ssh-config`` writes (Host entries and known_hosts).
"""
