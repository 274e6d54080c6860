"""Who may do what: users with one role each, Argon2 passwords, hashed API tokens."""
