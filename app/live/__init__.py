"""Live sessions: a worker thread per session, mailboxes per connection, frame encoding."""
