"""Our SigV4 signer against AWS's published examples (not against itself)."""

from datetime import UTC, datetime

from apps.logs.providers.sigv4 import sign, signing_key

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
WHEN = datetime(2015, 8, 30, 12, 36, 0, tzinfo=UTC)


def test_signing_key_matches_the_iam_user_guide_example():
    # docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html (derived key example)
    key = signing_key(SECRET, "20150830", "us-east-1", "iam")
    assert key.hex() == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"


def test_get_vanilla_from_the_sigv4_test_suite():
    headers = sign(method="GET", url="https://example.amazonaws.com/", headers={}, body=b"", access_key="AKIDEXAMPLE",
                   secret_key=SECRET, region="us-east-1", service="service", now=WHEN)
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    assert headers["X-Amz-Date"] == "20150830T123600Z"


def test_iam_list_users_example():
    headers = sign(method="GET", url="https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
                   headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, body=b"",
                   access_key="AKIDEXAMPLE", secret_key=SECRET, region="us-east-1", service="iam", now=WHEN)
    assert headers["Authorization"].endswith(
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
