"""Running several replicas of the server behind HAProxy (see the README, "Many machines")."""
