# otgate on Node's slim image. Used by the Docker testbed (testbed/docker-compose.yml) for the
# gateway and, with the testbed agent, for the simulated plant hosts.
FROM node:20-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 nftables python3 make g++ libpcap-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/otgate
COPY package.json package-lock.json ./
# better-sqlite3 builds from source here; dev dependencies stay (aedes is the testbed's broker).
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY daemon daemon
COPY protocols protocols
COPY rules rules
COPY hw hw
COPY scripts scripts
COPY examples examples
RUN npm run build && mkdir -p /var/lib/otgate /etc/otgate
ENV XDG_CONFIG_HOME=/var/lib/otgate
CMD ["node", "dist/daemon/main.js", "--help"]
