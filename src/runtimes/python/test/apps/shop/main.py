"""A service in the shape of the first user's (bakery-ia): FastAPI on uvicorn calling Redis, PostgreSQL through
SQLAlchemy (async engine, psycopg 3), RabbitMQ (aio-pika publish and consume) and another service over httpx,
with stdlib logging inside requests. Each backing service is used only when its URL is in the environment
(REDIS_URL, DATABASE_URL, AMQP_URL, DOWNSTREAM_URL, USERS_URL). No OpenTelemetry import of its own unless
ENABLE_TRACING=true (then monitoring.py sets up the app's own SDK, as the user's shared/monitoring package does).
Python 3.9 syntax."""

import asyncio
import logging
import os
import uuid
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

logging.basicConfig(level=logging.INFO, format='%(levelname)s %(name)s %(message)s')
log = logging.getLogger('shop.orders')

REDIS_URL = os.environ.get('REDIS_URL')
DATABASE_URL = os.environ.get('DATABASE_URL')
AMQP_URL = os.environ.get('AMQP_URL')
DOWNSTREAM_URL = os.environ.get('DOWNSTREAM_URL')
USERS_URL = os.environ.get('USERS_URL')

state = {}


async def start_amqp():
    import aio_pika

    connection = await aio_pika.connect_robust(AMQP_URL)
    channel = await connection.channel()
    queue = await channel.declare_queue('orders-' + uuid.uuid4().hex[:8], auto_delete=True)
    consumed = {}

    async def on_message(message):
        async with message.process():
            order_id = message.body.decode()
            log.info('order %s consumed', order_id)
            consumed.setdefault(order_id, asyncio.Event()).set()

    await queue.consume(on_message)
    state['amqp'] = (connection, channel, queue, consumed)


async def start_db():
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(DATABASE_URL.replace('postgresql://', 'postgresql+psycopg://'))
    async with engine.begin() as conn:
        await conn.execute(text('CREATE TABLE IF NOT EXISTS orders (id integer PRIMARY KEY, item text NOT NULL)'))
    state['db'] = engine


@asynccontextmanager
async def lifespan(app):
    if REDIS_URL:
        import redis.asyncio as aioredis

        state['redis'] = aioredis.from_url(REDIS_URL)
    if DATABASE_URL:
        await start_db()
    if AMQP_URL:
        await start_amqp()
    state['http'] = httpx.AsyncClient(timeout=10)
    yield
    await state['http'].aclose()
    if 'amqp' in state:
        await state['amqp'][0].close()
    if 'db' in state:
        await state['db'].dispose()
    if 'redis' in state:
        await state['redis'].aclose()


app = FastAPI(title='shop', lifespan=lifespan)

if os.environ.get('ENABLE_TRACING') == 'true':
    from monitoring import setup_telemetry

    setup_telemetry(app)


@app.get('/health')
async def health():
    return {'ok': True}


async def use_amqp(order_id):
    import aio_pika

    _, channel, queue, consumed = state['amqp']
    done = consumed.setdefault(str(order_id), asyncio.Event())
    await channel.default_exchange.publish(aio_pika.Message(body=str(order_id).encode()), routing_key=queue.name)
    await asyncio.wait_for(done.wait(), 10)


async def use_db(order_id):
    from sqlalchemy import text

    async with state['db'].begin() as conn:
        await conn.execute(
            text('INSERT INTO orders (id, item) VALUES (:id, :item) ON CONFLICT (id) DO NOTHING'),
            {'id': order_id, 'item': 'croissant-%d' % order_id},
        )
        row = (await conn.execute(text('SELECT item FROM orders WHERE id = :id'), {'id': order_id})).one()
    return row[0]


@app.get('/orders/{order_id}')
async def get_order(order_id: int):
    log.info('order %s requested', order_id)
    result = {'id': order_id}
    if 'redis' in state:
        await state['redis'].set('order:%d' % order_id, 'seen', ex=60)
        result['cache'] = (await state['redis'].get('order:%d' % order_id)).decode()
    if 'db' in state:
        result['item'] = await use_db(order_id)
    if 'amqp' in state:
        await use_amqp(order_id)
        result['consumed'] = True
    if DOWNSTREAM_URL:
        result['stock'] = (await state['http'].get('%s/stock/%d' % (DOWNSTREAM_URL, order_id))).json()
    log.warning('order %s served', order_id)
    return result


@app.get('/stock/{item_id}')
async def stock(item_id: int):
    log.info('stock of %s looked up', item_id)
    return {'item': item_id, 'stock': 3}


@app.get('/users/{user_id}')
async def user(user_id: str):
    answer = {'id': user_id, 'name': 'user-' + user_id, 'by': 'python'}
    if USERS_URL:
        answer['profile'] = (await state['http'].get('%s/users/%s' % (USERS_URL, user_id))).json()
    return answer


@app.get('/protobuf')
async def protobuf():
    """The app's own protobuf (whatever version its venv pins) still works."""
    import google.protobuf
    from google.protobuf import struct_pb2

    message = struct_pb2.Struct()
    message.update({'order': 7})
    return {'version': google.protobuf.__version__, 'bytes': len(message.SerializeToString())}


@app.get('/sitecustomize')
async def sitecustomize_ran():
    """What the image's own sitecustomize left behind (see apps/own-sitecustomize)."""
    return {'ran': os.environ.get('APP_SITECUSTOMIZE_RAN', '')}


@app.get('/module/{name}')
async def module(name: str):
    """Which copy of a module the app gets: its own (site-packages) or the injected one."""
    import importlib

    mod = importlib.import_module(name)
    return {'version': getattr(mod, '__version__', None), 'file': getattr(mod, '__file__', None)}
