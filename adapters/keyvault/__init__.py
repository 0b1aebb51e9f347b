"""Key vaults: software (envelope-encrypted files) and PKCS#11 HSMs."""
