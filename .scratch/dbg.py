import asyncio, io, logging
from tests.signing.pki import *
from tests.signing.conftest import SystemClock
from tests.signing.pdfs import pdf_bytes
from adapters.timestamping.inprocess import InProcessTimestampAuthority
from adapters.signing.pyhanko_signing import PyHankoPdfSigning
from ports.pdf_signing import *
from tests.signing import test_pdf_signing as t
from pyhanko.pdf_utils.reader import PdfFileReader
srv=PkiHttpServer().start(); v=KeyShim(); pki=TestPki(v, srv.base_url); srv.pki=pki
tsa=InProcessTimestampAuthority(vault=v,key_ref=pki.tsa.key_ref,certificate=pki.tsa.der,chain=pki.chain(pki.tsa),clock=SystemClock())
s=PyHankoPdfSigning(vault=v,timestamp_authority=tsa,revocation_source=PkiRevocationSource(pki))
ident=SigningIdentity(pki.signer.key_ref,pki.signer.der,pki.chain(pki.signer))
out=s.sign(pdf_bytes(), SignatureRequest(ident, PadesLevel.B_LTA))
open('.scratch/blt.pdf','wb').write(out)
r=PdfFileReader(io.BytesIO(out)); sig=r.embedded_regular_signatures[0]
logging.basicConfig(level=logging.INFO, format='%(name)s %(levelname)s %(message)s')
res=t.ades_lta_status(pki.root.der, sig)
print(res.ades_subindic)
import subprocess, os, shutil
from cryptography.hazmat.primitives import serialization
d='.scratch/nss'; shutil.rmtree(d, ignore_errors=True); os.makedirs(d)
open('.scratch/root.pem','wb').write(pki.root.cert.public_bytes(serialization.Encoding.PEM))
subprocess.run(['certutil','-N','--empty-password','-d','sql:'+d],check=True)
subprocess.run(['certutil','-A','-n','Seing Test Root','-t','CT,C,C','-i','.scratch/root.pem','-d','sql:'+d],check=True)
r=subprocess.run(['pdfsig','-nssdir','sql:'+d,'.scratch/blt.pdf'],capture_output=True,text=True)
print(r.returncode, r.stdout, r.stderr); print(srv.requests)
