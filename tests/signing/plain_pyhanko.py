"""PDFs signed by pyHanko alone, under a throwaway CA: files Seing never touched.

They show what a third-party validator does with a PDF whatever its producer (no OCSP, no
AIA, no DSS: root -> intermediate -> signer, plain PAdES B-B signatures in incremental updates).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class ThrowawayCa:
    def __init__(self) -> None:
        self._now = datetime.now(UTC)
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root = self._issue(_name("Throwaway Root"), self.root_key, None, None, ca=True)
        self.intermediate_key = ec.generate_private_key(ec.SECP256R1())
        self.intermediate = self._issue(_name("Throwaway Intermediate"), self.intermediate_key, self.root,
                                        self.root_key, ca=True)

    @property
    def root_der(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.DER)

    def _issue(self, subject, key, issuer, issuer_key, *, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.subject if issuer else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._now - timedelta(days=1))
            .not_valid_after(self._now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                                         crl_sign=ca, encipher_only=False, decipher_only=False), critical=True)
        )
        if issuer_key is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        return builder.sign(issuer_key or key, hashes.SHA256())

    def signer(self, common_name: str):
        """A pyHanko signer with its own key and certificate under the intermediate."""
        from pyhanko.sign import signers
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        key = ec.generate_private_key(ec.SECP256R1())
        certificate = self._issue(_name(common_name), key, self.intermediate, self.intermediate_key, ca=False)
        key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return signers.SimpleSigner(
            signing_cert=_asn1(certificate), signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            cert_registry=SimpleCertificateStore.from_certs([_asn1(self.intermediate), _asn1(self.root)]),
        )


def signed_by_each(signers: list) -> bytes:
    """A one-page PDF signed by each signer in turn, one incremental update per signature."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.writer import PdfFileWriter
    from pyhanko.sign import fields
    from pyhanko.sign import signers as pyhanko_signers

    writer = PdfFileWriter()
    writer.insert_page(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)]),
        generic.NameObject("/Resources"): generic.DictionaryObject(),
    }))
    buffer = io.BytesIO()
    writer.write(buffer)
    data = buffer.getvalue()
    for number, signer in enumerate(signers, start=1):
        metadata = pyhanko_signers.PdfSignatureMetadata(field_name=f"Signature{number}",
                                                        subfilter=fields.SigSeedSubFilter.PADES)
        data = pyhanko_signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(data)), metadata,
                                        signer=signer).getvalue()
    return data
