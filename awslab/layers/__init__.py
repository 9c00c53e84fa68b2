"""The builder: one module per layer of the seed's architecture, in the order a person builds it.

network -> security -> keys -> bastion -> database -> compute (launch template) -> loadbalancing
-> autoscaling -> scaling (policies and alarms) -> edge (:data:`awslab.layers.stack.LAYERS`); ``teardown`` undoes it all.

Every step is idempotent (found by tag before it is created), tagged, validated
before any AWS call, and recorded as an AWS CLI command (``lab.cli_log()``).
"""
