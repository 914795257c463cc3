#!/usr/bin/env bash
# Makes the wss:// test certificates in testdata/wss: a CA, and a server
# certificate for localhost and 127.0.0.1 signed by it (valid 20 years).
# They are for tests only: the keys are public.
set -euo pipefail
cd "$(dirname "$0")/../testdata/wss"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout ca.key -out ca.pem -days 7300 -subj "/CN=ferrozmq test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout server.key -out server.csr -subj "/CN=localhost"
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out server.pem -days 7300 \
    -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n')
rm -f server.csr ca.srl
