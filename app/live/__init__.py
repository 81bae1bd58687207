"""Live sessions: hosted in worker processes, each driven by one scheduler thread that shares
its time among them; per connection a mailbox; frames encoded once per session."""
