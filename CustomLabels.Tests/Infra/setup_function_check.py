"""Runs the template's setup function (its inline Python) against botocore clients whose calls are stubbed.

Reads one JSON object on stdin: {"code": the function's source, "event": the custom resource event,
"remainingMillis": what the Lambda context reports, "calls": [{"service", "operation", "params", "response"} or
{"service", "operation", "params", "error"}], in the order the function must make them}. botocore's Stubber checks
each call's parameters against the expected ones and against the service model, and each response against the
operation's output shape, so the function is held to what AWS accepts and answers.

Writes one JSON object: {"status", "reason", "physicalResourceId", "data"} as the function sent them to
CloudFormation, "unmade": the expected calls it did not make, "sleeps": the seconds it waited.

Uses the botocore that Debian's awscli package ships (awscli.botocore), or a standalone botocore.
"""
import json
import sys
import types

try:
    from awscli.botocore import session as bc_session
    from awscli.botocore.stub import Stubber
except ImportError:  # a standalone botocore
    from botocore import session as bc_session
    from botocore.stub import Stubber

request = json.load(sys.stdin)
session = bc_session.get_session()
clients, stubbers, sleeps, sent = {}, {}, [], {}


def client(name, **_):
    if name not in clients:
        clients[name] = session.create_client(
            name, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
        stubbers[name] = Stubber(clients[name])
    return clients[name]


for call in request["calls"]:
    client(call["service"])
    stubber = stubbers[call["service"]]
    if "error" in call:
        stubber.add_client_error(call["operation"], service_error_code=call["error"], expected_params=call["params"])
    else:
        stubber.add_response(call["operation"], call["response"], call["params"])
for stubber in stubbers.values():
    stubber.activate()

boto3 = types.ModuleType("boto3")
boto3.client = client
cfnresponse = types.ModuleType("cfnresponse")
cfnresponse.SUCCESS, cfnresponse.FAILED = "SUCCESS", "FAILED"


def send(event, context, status, data, physical, reason=None):
    sent.update(status=status, data=data, physicalResourceId=physical, reason=reason)


cfnresponse.send = send
sys.modules["boto3"], sys.modules["cfnresponse"] = boto3, cfnresponse

namespace = {"__name__": "index"}
exec(compile(request["code"], "index.py", "exec"), namespace)
namespace["time"] = types.SimpleNamespace(sleep=sleeps.append)


class Context:
    def get_remaining_time_in_millis(self):
        return request.get("remainingMillis", 900000)


namespace["handler"](request["event"], Context())
unmade = [name for name, stubber in stubbers.items() if stubber._queue]
print(json.dumps(dict(sent, unmade=unmade, sleeps=sleeps)))
