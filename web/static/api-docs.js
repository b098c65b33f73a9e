// Starts Swagger UI on /schema (web/api_docs.py): the schema's address, and the CSRF cookie and header
// names when the app has them, come from the container's data attributes.
(() => {
  const container = document.getElementById('swagger-container');
  const { specUrl, csrfCookie, csrfHeader } = container.dataset;
  const cookie = (name) => {
    const found = document.cookie.split('; ').find((c) => c.startsWith(`${name}=`));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : undefined;
  };
  window.ui = SwaggerUIBundle({
    url: specUrl,
    dom_id: '#swagger-container',
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    requestInterceptor: (request) => {
      const token = csrfCookie && cookie(csrfCookie);
      if (token !== undefined && token !== '' && csrfHeader) request.headers[csrfHeader] = token;
      return request;
    },
  });
})();
