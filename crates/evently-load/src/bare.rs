//! A bare actix-web handler returning a small constant JSON body: the reference point
//! for what the framework alone can serve on this machine; it also takes webhook
//! messages at `POST /hook` (204), as a fast receiver.

use actix_web::{App, HttpResponse, HttpServer, web};

pub async fn serve(addr: &str) -> anyhow::Result<()> {
    println!("bare handler on http://{addr}/");
    HttpServer::new(|| {
        App::new()
            .route(
                "/",
                web::get()
                    .to(|| async { HttpResponse::Ok().content_type("application/json").body(r#"{"status":"ok"}"#) }),
            )
            // The body is read, as a receiver checking signatures reads it: actix closes
            // a connection whose request body was left unread.
            .route("/hook", web::post().to(|_body: web::Bytes| async { HttpResponse::NoContent().finish() }))
    })
    .bind(addr)?
    .run()
    .await?;
    Ok(())
}
