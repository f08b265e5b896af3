"""moto's server (the local S3/SQS/SES), with one fix for the test suite.

moto 5.2.5 builds `/moto-api/data.json` — which the SES tests read to see
the mails that were sent — from every model instance it ever created. An S3
key whose bucket is gone (the parts of a multipart upload, the objects of a
deleted bucket) raises NoSuchBucket from its `status` property there, so
`data.json` answers 500 for the rest of the server's life once any test has
used a multipart upload (the datawarehouse export streams with them).
Here such a key reports no status instead; nothing else changes.

    python infra/moto/server.py -H 127.0.0.1 -p 45660
"""

import sys

from moto.s3 import models as s3_models
from moto.s3.exceptions import MissingBucket
from moto.server import main

_status = s3_models.FakeKey.status


def _tolerant_status(self):
    try:
        return _status.fget(self)
    except MissingBucket:
        return None


s3_models.FakeKey.status = property(_tolerant_status, _status.fset)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
