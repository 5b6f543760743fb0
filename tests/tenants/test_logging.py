from __future__ import annotations

import io
import json
import logging

from config.logging import build_logging_config


def test_log_records_carry_the_town_schema(town_a):
    config = build_logging_config(fmt="json", level="INFO")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatter_spec = dict(config["formatters"]["structured"])
    factory = formatter_spec.pop("()")
    handler.setFormatter(factory(**formatter_spec))
    logger = logging.getLogger("comptoir.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with town_a:
            logger.info("something happened in the town", extra={"order": 42})
        logger.info("something happened on the platform")
    finally:
        logger.removeHandler(handler)

    town_line, platform_line = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (town_line["schema_name"], town_line["order"]) == ("v_ville_a", 42)
    assert platform_line["schema_name"] == "public"
