"""IBAN/BIC checks at merchant onboarding (docs/money.md §12, scenario 26): no database needed."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError

from settlement.payouts.iban import (
    IBANFormField,
    compact_iban,
    format_iban,
    mask_iban,
    validate_bic,
    validate_bic_matches_iban,
    validate_iban,
)

VALID_FR = "FR76 3000 6000 0112 3456 7890 189"


def with_check_digits(country: str, bban: str) -> str:
    """An IBAN whose ISO 13616 check digits are right for ``bban``, whatever the BBAN says."""
    digits = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def error_of(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_iban(value)
    return caught.value


def test_valid_french_iban_is_returned_compact_and_upper_case() -> None:
    assert validate_iban(VALID_FR) == "FR7630006000011234567890189"
    assert validate_iban("fr76-3000-6000-0112-3456-7890-189") == "FR7630006000011234567890189"
    assert validate_iban("\u00a0DE89 3704 0044 0532 0130 00 ") == "DE89370400440532013000"


def test_wrong_rib_key_with_correct_iban_check_digits_is_refused_with_the_rib_message() -> None:
    # Given the valid IBAN with its RIB key 89 changed to 88 and the IBAN check digits recomputed,
    # so that only the national (RIB) check fails.
    altered = with_check_digits("FR", "30006000011234567890188")
    assert altered != "FR7630006000011234567890189"

    error = error_of(altered)

    assert error.code == "iban_rib_key"
    assert error.messages == ["La clé RIB de cet IBAN est incorrecte."]


def test_wrong_iban_check_digits_are_refused() -> None:
    error = error_of("FR7730006000011234567890189")

    assert error.code == "iban_checksum"
    assert error.messages == [
        "Cet IBAN n’est pas valide : sa clé de contrôle ne correspond pas. Vérifiez chaque caractère."
    ]


def test_wrong_length_is_refused_naming_the_expected_length() -> None:
    error = error_of("FR76300060000112345678901")

    assert error.code == "iban_length"
    assert error.messages == [
        "La longueur de cet IBAN est incorrecte : un IBAN FR compte 27 caractères, celui-ci en compte 25."
    ]


def test_iban_outside_the_sepa_zone_is_refused() -> None:
    error = error_of("BR1800360305000010009795493C1")

    assert error.code == "iban_not_sepa"
    assert error.messages == [
        "Les virements SEPA ne peuvent pas être envoyés vers un compte BR : indiquez un compte situé dans la zone SEPA."
    ]


def test_sepa_iban_outside_the_euro_area_is_accepted() -> None:
    assert validate_iban("CH93 0076 2011 6238 5295 7") == "CH9300762011623852957"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "iban_required"),
        ("   ", "iban_required"),
        ("FR76 3000 6000 0112 3456 7890 18!", "iban_characters"),
        ("7630006000011234567890189", "iban_characters"),
        ("XX7630006000011234567890189", "iban_country_unknown"),
        ("US7630006000011234567890189", "iban_country_unknown"),
    ],
)
def test_malformed_input_is_refused(value: str, code: str) -> None:
    assert error_of(value).code == code


def test_mask_iban_shows_only_country_check_digits_and_last_block() -> None:
    assert mask_iban(VALID_FR) == "FR76 •••• •••• •••• •••• •••• 189"
    assert mask_iban("DE89370400440532013000") == "DE89 •••• •••• •••• •••• 00"
    assert mask_iban("FR76") == "FR76 ••••"
    assert mask_iban("") == ""


def test_format_and_compact_round_trip() -> None:
    assert format_iban("FR7630006000011234567890189") == VALID_FR
    assert compact_iban(VALID_FR) == "FR7630006000011234567890189"


def test_validate_bic() -> None:
    assert validate_bic("agri frpp") == "AGRIFRPP"
    assert validate_bic("AGRIFRPPXXX") == "AGRIFRPPXXX"
    with pytest.raises(ValidationError) as caught:
        validate_bic("AGRIFRP")
    assert caught.value.code == "bic_length"
    with pytest.raises(ValidationError) as caught:
        validate_bic("AGRI1RPP")
    assert caught.value.code == "bic_format"


def test_bic_of_another_country_than_the_iban_is_refused() -> None:
    validate_bic_matches_iban("AGRIFRPP", VALID_FR)
    with pytest.raises(ValidationError) as caught:
        validate_bic_matches_iban("COBADEFF", VALID_FR)
    assert caught.value.code == "bic_mismatch"


class MerchantBankForm(forms.Form):
    iban = IBANFormField()


def test_form_field_cleans_to_compact_iban() -> None:
    form = MerchantBankForm(data={"iban": "fr76 3000 6000 0112 3456 7890 189"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["iban"] == "FR7630006000011234567890189"


def test_form_field_reports_the_french_error() -> None:
    form = MerchantBankForm(data={"iban": with_check_digits("FR", "30006000011234567890188")})

    assert not form.is_valid()
    assert form.errors["iban"] == ["La clé RIB de cet IBAN est incorrecte."]
