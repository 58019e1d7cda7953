"""A bounded GDAL block cache for our own reads and writes.

GDAL's default cache is 5 % of RAM; decimating a 20000 x 20000 raster or polygonising a large on-disk grid would
fill all of it, so peak memory would grow with the raster. Our rasterio calls run inside this Env instead.
rasterio passes GDAL_CACHEMAX to GDALSetCacheMax64, which takes bytes (not GDAL's "< 100000 means MB" rule): a bare
64 would leave a 64-byte cache and every read would decompress its blocks again.
"""

from __future__ import annotations

GDAL_CACHE_MB = 64


def bounded_cache():
    import rasterio

    return rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB * 1024 * 1024)
