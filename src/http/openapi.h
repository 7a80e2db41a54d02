#ifndef QNLIVE_HTTP_OPENAPI_H
#define QNLIVE_HTTP_OPENAPI_H

/* The OpenAPI 3.1 description of the routes a router serves, built from the router itself and
 * from the API descriptions that sit beside each module's routes (`src/biz/<module>/
 * <module>_api.json`, compiled into the binary). A route is described by the entry whose key
 * is its methods and its template exactly as the route table writes them:
 *
 *   {
 *     "tag": "live",                        the module's name, the operations' tag
 *     "description": "...",                 optional, the tag's description
 *     "schemas": {"RoomInfo": {...}},        JSON Schemas shared by name across modules
 *     "routes": {
 *       "GET /client/live/room/info/:live_id": {
 *         "summary": "...", "description": "...",        (description optional)
 *         "params": {"live_id": {"description": "...", "schema": {...}}},  (path; optional)
 *         "query": {"page_num": {"description": "...", "schema": {...}, "required": false}},
 *         "body": {JSON Schema of the request body},     (absent: the route reads none)
 *         "data": {JSON Schema of the envelope's data},  (absent: the answer has no data)
 *         "errors": {"400": [400], "500": [500, 20003]},  HTTP status -> envelope codes
 *         "document": "text/html",                       (optional: success answers a document
 *                                                         of this type, not the envelope)
 *         "test_only": true                              (optional: only test builds serve it)
 *       }
 *     }
 *   }
 *
 * Methods are written as in the table, joined with '|' in the order GET, POST, PUT, DELETE,
 * PATCH, HEAD, OPTIONS ("GET|POST /admin/censor/job/list"), or ANY for a route of every
 * method. References are written "#/components/schemas/<Name>". The answers every route of an
 * auth scheme may give (401 for a bad token, 503 when a dependency is away, the HTTP edge's
 * 400/408/413/414/431/505, 500) are added by the builder and need not be listed.
 *
 * A route without a description is still in the document, marked "x-undescribed"; a
 * description whose route this node does not serve (a module its configuration leaves off,
 * such as gifts or moderation) is listed under "x-unserved" (test-only ones aside in a build
 * without the test routes). The API tests fail on either, with every module on. */

#include <jansson.h>

struct router;

/* The document (a new reference), or NULL when an embedded description is not valid JSON
 * (logged). `version` is the server's. */
json_t *openapi_build(const struct router *rt, const char *version);

#endif
