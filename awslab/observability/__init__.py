"""Looking at the lab's logs the way AWS's own tools do (Athena's SQL over ALB access logs)."""
