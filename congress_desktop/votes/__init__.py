"""票决 and 测评: sessions, rounds, ballots, the count, the ledger and the papers."""
