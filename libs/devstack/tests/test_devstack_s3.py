import io
import uuid

import pytest
from invoice_devstack.s3 import S3Server
from minio import Minio

pytestmark = pytest.mark.infra


def test_minio_client_puts_and_gets_an_object(s3_server: S3Server) -> None:
    bucket = f"devstack-{uuid.uuid4().hex[:12]}"
    s3_server.create_bucket(bucket)
    client = Minio(
        s3_server.endpoint,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
        secure=False,
    )

    client.put_object(bucket, "invoices/one.pdf", io.BytesIO(b"%PDF-1.7"), length=8)
    response = client.get_object(bucket, "invoices/one.pdf")
    try:
        assert response.read() == b"%PDF-1.7"
    finally:
        response.close()
        response.release_conn()


def test_create_bucket_is_idempotent(s3_server: S3Server) -> None:
    bucket = f"devstack-{uuid.uuid4().hex[:12]}"

    s3_server.create_bucket(bucket)
    s3_server.create_bucket(bucket)

    names = [entry["Name"] for entry in s3_server.client().list_buckets()["Buckets"]]
    assert bucket in names
