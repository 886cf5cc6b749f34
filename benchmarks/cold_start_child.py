"""One cold start, measured inside a fresh interpreter (run by run.py).

`baseline`: import boto3 and create the clients the inbound handler uses.
`handler`: import the inbound handler module and handle its first event.
"""

import importlib.util
import json
import sys
import time

CLIENTS = ("s3", "dynamodb", "ses", "secretsmanager")


class Context:
    function_name = "InboundEmailFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:InboundEmailFunction"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def main() -> None:
    mode, handler_path, event_path = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(event_path) as handle:
        event = json.load(handle)
    started = time.perf_counter()
    if mode == "baseline":
        import boto3

        for name in CLIENTS:
            boto3.client(name)
        result = None
    else:
        spec = importlib.util.spec_from_file_location("inbound_app", handler_path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        imported = time.perf_counter() - started
        result = module.lambda_handler(event, Context())
        result["import_seconds"] = imported
    elapsed = time.perf_counter() - started
    print(json.dumps({"mode": mode, "seconds": elapsed, "result": result}))


if __name__ == "__main__":
    main()
