// nginx twice: as the stand-in for Clerk's Frontend API (the upstream every contender talks to)
// and as a contender configured as in Clerk's proxy guide.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { nginxBinary } from './tools.mjs'
import { startProcess, waitForHttp } from './processes.mjs'

/** A prefix directory whose every temp path and pid file nginx writes lives under `dir`. */
export function commonConfig(dir) {
  for (const sub of ['logs', 'tmp/client', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi']) mkdirSync(join(dir, sub), { recursive: true })
  return `
daemon off;
# One process that serves: the single-threaded JavaScript contenders are compared to one worker.
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 8192; multi_accept on; }
`
}

export function commonHttp(dir) {
  return `
  access_log off;
  client_body_temp_path ${dir}/tmp/client;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
`
}

export async function startNginx(dir, config, port, role) {
  const file = join(dir, 'nginx.conf')
  writeFileSync(file, config)
  const proc = startProcess(nginxBinary(), ['-p', dir, '-c', file, '-e', join(dir, 'logs/error.log')], { role })
  await waitForHttp(`http://127.0.0.1:${port}/`, { alive: () => !proc.exited(), describe: proc.output })
  return proc
}

/**
 * Starts the upstream: `/v1/environment` (the JSON), `/npm/…/clerk.js` (the asset, gzip from a
 * pre-compressed file when asked), `/bench/download` (a 256 MiB file) and `/bench/upload`
 * (streamed, unbuffered, to the Node sink that counts the bytes).
 * @param {{ dir: string, port: number, wwwDir: string, sinkPort: number }} options
 */
export function startUpstreamNginx({ dir, port, wwwDir, sinkPort }) {
  const config = `${commonConfig(dir)}
http {
${commonHttp(dir)}
  types { application/javascript js; application/json json; application/octet-stream bin; }
  default_type application/json;
  server {
    listen 127.0.0.1:${port} reuseport backlog=8192;
    root ${wwwDir};
    location /v1/ {
      default_type application/json;
      add_header Cache-Control "no-store";
      add_header Vary "Origin";
    }
    location /npm/ {
      gzip_static on;
      gzip_vary on;
      add_header Cache-Control "public, max-age=31536000, immutable";
    }
    location = /bench/download { default_type application/octet-stream; }
    location = /bench/upload {
      client_max_body_size 0;
      proxy_request_buffering off;
      proxy_http_version 1.1;
      proxy_pass http://127.0.0.1:${sinkPort};
    }
  }
}
`
  return startNginx(dir, config, port, 'load')
}

/**
 * Starts nginx as a Clerk Frontend API proxy the way Clerk's guide writes it (rewrite off the
 * prefix, proxy_pass, the three proxy_set_header lines), with upstream keep-alive added so the
 * baseline is the best nginx can do, and no body-size limit so the 256 MiB upload passes.
 * @param {{ dir: string, port: number, upstreamPort: number, secretKey: string }} options
 */
export function startNginxProxy({ dir, port, upstreamPort, secretKey }) {
  const config = `${commonConfig(dir)}
http {
${commonHttp(dir)}
  upstream clerk_fapi {
    server 127.0.0.1:${upstreamPort};
    keepalive 512;
  }
  server {
    listen 127.0.0.1:${port} reuseport backlog=8192;
    client_max_body_size 0;
    location /__clerk/ {
      rewrite ^/__clerk/(.*)$ /$1 break;
      proxy_pass http://clerk_fapi;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Clerk-Proxy-Url http://127.0.0.1:${port}/__clerk;
      proxy_set_header Clerk-Secret-Key ${secretKey};
      proxy_set_header X-Forwarded-For $remote_addr;
    }
    location / { return 404; }
  }
}
`
  return startNginx(dir, config, port, 'proxy')
}
