"""An S3-protocol server for tests: moto's server in a background thread."""

from __future__ import annotations

import logging
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from invoice_devstack.lifecycle import Managed

logger = logging.getLogger(__name__)


class S3Server(Managed):
    """moto's S3 server on 127.0.0.1; everything it stores lives in memory until stop()."""

    # moto accepts any credentials; these are the dummies its documentation uses.
    access_key = "testing"
    secret_key = "testing"  # noqa: S105
    region = "us-east-1"

    def __init__(self, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        # Port 0 lets the server bind a free port itself, leaving no window for a clash.
        self._requested_port = port if port is not None else 0
        self._port: int | None = None
        self._server: ThreadedMotoServer | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the S3 server has not been started")
        return self._port

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.endpoint}"

    def start(self) -> None:
        if self._server is not None:
            return
        server = ThreadedMotoServer(ip_address=self.host, port=self._requested_port, verbose=False)
        server.start()
        self._server = server
        self._port = server.get_host_and_port()[1]
        logger.info("started the S3 server on %s", self.endpoint)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.stop()
            logger.info("stopped the S3 server on %s", self.endpoint)

    def client(self) -> Any:
        """A boto3 S3 client for this server."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def create_bucket(self, name: str) -> None:
        """Create the bucket unless it exists."""
        try:
            self.client().create_bucket(Bucket=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise
