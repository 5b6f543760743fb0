"""SMS backends: each has ``send(*, to, text) -> message id`` and raises ``SmsError``."""
