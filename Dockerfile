# facegate image: Debian bookworm + Node 20, native parts built by the same
# install step as on bare metal (scripts/install.sh).
FROM node:20-bookworm
WORKDIR /app
COPY . .
RUN bash scripts/install.sh && rm -rf /root/.cache/facegate/pymeson
# Two glibc malloc arenas: with onnxruntime, libvips and libuv threads each
# taking an arena, RSS crept up by fragmentation (src/SERVICE.md, "Memory").
ENV MALLOC_ARENA_MAX=2 NODE_ENV=production HOST=0.0.0.0 PORT=8080 FACEGATE_DATA_DIR=/data
VOLUME /data
EXPOSE 8080 40000/udp 40000/tcp
CMD ["node", "--import", "tsx", "src/main.ts"]
