import uuid

import pytest
from invoice_devstack.tokens import AccessTokenIssuer
from invoice_platform.tokens import InvalidToken, TokenVerifier


async def test_a_token_verifies_against_the_issuers_key_set() -> None:
    issuer = AccessTokenIssuer()
    user_id = uuid.uuid4()

    principal = await TokenVerifier(issuer.key_set()).verify(issuer.token(user_id))

    assert principal.user_id == user_id


async def test_an_expired_token_is_refused() -> None:
    issuer = AccessTokenIssuer()
    expired = issuer.token(uuid.uuid4(), expires_in=-120)

    with pytest.raises(InvalidToken, match="expired"):
        await TokenVerifier(issuer.key_set()).verify(expired)
