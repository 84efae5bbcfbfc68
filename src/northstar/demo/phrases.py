"""Hand-written survey comment fragments for the demo-data generator.

The demo generator attaches free-text answers to NPS, CSAT and CES survey
responses from fictional B2B SaaS customers. Every comment below was written
for Northstar and is indexed by language, sentiment and theme, so each
generated comment carries its ground truth: later analyses (language
detection, sentiment scoring, theme tagging) can be checked against it.

Index as ``PHRASES[language][sentiment][theme]``; each entry is a tuple of
distinct, complete comments of one or two sentences.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

LANGUAGES: tuple[str, ...] = ("en", "it", "ja", "ar", "pl")
SENTIMENTS: tuple[str, ...] = ("positive", "neutral", "negative")
THEMES: tuple[str, ...] = (
    "onboarding",
    "support",
    "usability",
    "reliability",
    "pricing",
    "features",
    "integrations",
    "training",
)

PHRASES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    # ------------------------------------------------------------------ English
    "en": {
        "positive": {
            "onboarding": (
                "Onboarding was painless. We had our first dashboards live within a week.",
                "The kickoff call and setup checklist made getting started really easy.",
                "Our onboarding manager knew our industry and got the whole team up and running fast.",
                "Importing our account data during onboarding took minutes, not days.",
            ),
            "support": (
                "Support replied within an hour and actually solved the problem.",
                "Every time I open a ticket I get a knowledgeable person, not a script.",
                "Huge thanks to the support team for staying on the call until our issue was fixed.",
                "Fast, friendly support. They even followed up a week later to check everything was fine.",
            ),
            "usability": (
                "The interface is clean and intuitive; my team barely needed any guidance.",
                "Everything is where you expect it to be. Finding an account's health score takes two clicks.",
                "Really easy to use, even for our less technical CSMs.",
                "The new navigation is a big improvement and daily work feels much quicker now.",
            ),
            "reliability": (
                "Rock solid. I can't remember the last time the platform was down.",
                "Pages load quickly and the data syncs reliably every night.",
                "We rely on it for our weekly renewals review and it has never let us down.",
                "Stable and fast, even with our full customer base loaded.",
            ),
            "pricing": (
                "Great value for the price, especially compared to the tools we used before.",
                "The pricing is transparent and the per-seat licence is fair for a team our size.",
                "It paid for itself in the first quarter through the renewals we saved.",
                "Reasonable cost, and no surprise charges on the invoice.",
            ),
            "features": (
                "The health scores and renewal alerts are exactly what we needed.",
                "Playbooks have changed how we run QBRs. Love this feature.",
                "The churn risk view is brilliant and the new survey builder is a nice bonus.",
                "Every release adds something useful. The automated task rules save me hours each week.",
            ),
            "integrations": (
                "The Salesforce integration worked out of the box and keeps everything in sync.",
                "Connecting HubSpot and Zendesk took less than an hour.",
                "The API is well documented and our engineers built a custom connector in a day.",
                "Love that usage data from our product flows in automatically through the Segment connector.",
            ),
            "training": (
                "The training sessions were practical and tailored to how our team actually works.",
                "The video tutorials and help centre articles are excellent.",
                "Our new hires get up to speed quickly thanks to the academy courses.",
                "The trainer was patient and answered every question, even the basic ones.",
            ),
        },
        "neutral": {
            "onboarding": (
                "Onboarding was fine overall, although the data import step took longer than planned.",
                "Setup works, but we needed a couple of extra calls to configure our segments.",
                "The onboarding plan was clear. It just took about three weeks instead of the promised two.",
                "Getting started was okay. Some steps in the checklist were not relevant to us.",
            ),
            "support": (
                "Support usually answers within a day. Good enough, though not especially fast.",
                "The support team is polite, but complex issues often get escalated and take a while.",
                "Tickets get resolved eventually; live chat would be a welcome addition.",
                "Support is okay. Quality depends a lot on which agent picks up the ticket.",
            ),
            "usability": (
                "It's easy enough once you learn it, but the settings menus are a bit confusing.",
                "The interface does the job. Some screens feel cluttered.",
                "Mostly intuitive, though building reports still takes more clicks than it should.",
                "Usable on desktop, but the mobile view is quite limited.",
            ),
            "reliability": (
                "Generally stable, with occasional slowdowns on Monday mornings.",
                "It works, but the nightly sync sometimes finishes late.",
                "We've had a couple of short outages this year. Nothing major, but noticeable.",
                "Performance is acceptable, although large dashboards take a while to load.",
            ),
            "pricing": (
                "The price is in line with other tools on the market.",
                "Pricing is fair for the core plan, but add-ons get expensive quickly.",
                "It's worth the cost for us, though it's hard to justify more seats right now.",
                "Licence costs are okay. We'd appreciate more flexible billing options.",
            ),
            "features": (
                "The core features cover what we need, but reporting could be more flexible.",
                "It does the basics well. We're still waiting for custom fields in playbooks.",
                "Solid feature set, though a few things we used in our old tool are missing.",
                "Some features are great, others feel half finished.",
            ),
            "integrations": (
                "The Salesforce connector works, but the field mapping was tricky to set up.",
                "Integrations are fine for the common tools; anything custom needs the API.",
                "The Slack integration is useful, although notifications can't be filtered much.",
                "The API covers most endpoints we need, but the rate limits are a bit tight.",
            ),
            "training": (
                "The training was useful, though a bit too generic for our use case.",
                "The documentation is decent, but some articles are out of date.",
                "Training sessions were okay. More advanced material would help.",
                "We attended the webinars. Helpful for beginners, less so for admins.",
            ),
        },
        "negative": {
            "onboarding": (
                "Onboarding dragged on for two months and we still aren't fully set up.",
                "Nobody explained how to configure health scores during onboarding, so we had to figure it out alone.",
                "The onboarding was disorganised: we had three different contacts in four weeks.",
                "Data import failed several times during setup and no one could tell us why.",
            ),
            "support": (
                "Support takes days to respond, and the answers rarely solve anything.",
                "I keep getting asked for the same information in every ticket. Very frustrating.",
                "Our urgent ticket sat unanswered over the weekend. Not acceptable.",
                "Support closed my ticket without fixing the issue.",
            ),
            "usability": (
                "The interface is confusing and nothing is where you'd expect it.",
                "Too many clicks for simple tasks. My team avoids logging in.",
                "Filtering accounts is clunky and the search rarely finds what I need.",
                "The latest redesign made everything harder to find.",
            ),
            "reliability": (
                "The platform was down twice during our renewal week. That cost us.",
                "Dashboards time out constantly and the data is often a day behind.",
                "Frequent errors when saving notes. We've lost work more than once.",
                "Sync failures happen almost weekly and we only find out when the numbers look wrong.",
            ),
            "pricing": (
                "Far too expensive for what it offers.",
                "The price went up 30% at renewal with no new value for us.",
                "Charging per seat for read-only users makes the licence cost impossible to justify.",
                "Hidden fees for extra modules. The real cost is much higher than the quote.",
            ),
            "features": (
                "Basic features like custom reports are still missing.",
                "The roadmap keeps promising features that never ship.",
                "Playbooks are too rigid to be useful for our process.",
                "The survey module is very limited compared to dedicated tools.",
            ),
            "integrations": (
                "The Salesforce sync keeps breaking and creates duplicate accounts.",
                "No native connector for Intercom, and the API documentation is incomplete.",
                "The HubSpot integration only syncs one way, which makes it almost useless for us.",
                "Webhooks fail silently, so we never know when data is missing.",
            ),
            "training": (
                "There was no real training, just a link to the help centre.",
                "The training sessions were rushed and didn't cover admin tasks at all.",
                "The tutorials are outdated and show screens that no longer exist.",
                "New team members have no proper training path, so everyone learns by trial and error.",
            ),
        },
    },
    # ------------------------------------------------------------------ Italian
    "it": {
        "positive": {
            "onboarding": (
                "L'onboarding è stato semplicissimo: in una settimana avevamo già le prime dashboard attive.",
                "La call iniziale e la checklist di configurazione ci hanno reso l'avvio davvero facile.",
                "La nostra referente per l'onboarding conosceva bene il settore e ha reso operativo tutto il team in pochi giorni.",
                "L'importazione dei dati dei clienti durante l'avvio ha richiesto pochi minuti.",
            ),
            "support": (
                "L'assistenza ha risposto in meno di un'ora e ha risolto davvero il problema.",
                "Ogni volta che apro un ticket trovo una persona competente e disponibile.",
                "Un grazie al supporto, che è rimasto in chiamata finché il problema non è stato risolto.",
                "Supporto rapido e cordiale, ci hanno persino ricontattato una settimana dopo per verificare che fosse tutto a posto.",
            ),
            "usability": (
                "L'interfaccia è pulita e intuitiva, il team l'ha imparata quasi da solo.",
                "Tutto è dove te lo aspetti: per vedere lo stato di salute di un cliente bastano due clic.",
                "Molto facile da usare, anche per i colleghi meno tecnici.",
                "La nuova navigazione è un bel passo avanti, il lavoro quotidiano è molto più veloce.",
            ),
            "reliability": (
                "Piattaforma solidissima, non ricordo l'ultima volta che è andata giù.",
                "Le pagine si caricano velocemente e la sincronizzazione notturna è sempre puntuale.",
                "La usiamo ogni settimana per la revisione dei rinnovi e non ci ha mai delusi.",
                "Stabile e veloce anche con tutta la nostra base clienti caricata.",
            ),
            "pricing": (
                "Ottimo rapporto qualità-prezzo, soprattutto rispetto agli strumenti che usavamo prima.",
                "Prezzi trasparenti e una licenza per utente giusta per un team delle nostre dimensioni.",
                "Si è ripagata già nel primo trimestre grazie ai rinnovi che abbiamo salvato.",
                "Costo ragionevole e nessuna sorpresa in fattura.",
            ),
            "features": (
                "Gli health score e gli avvisi sui rinnovi sono esattamente ciò che ci serviva.",
                "I playbook hanno cambiato il modo in cui gestiamo le QBR. Funzionalità fantastica.",
                "La vista sul rischio di abbandono è eccellente e il nuovo editor dei sondaggi è un bel regalo.",
                "Ogni rilascio aggiunge qualcosa di utile: le regole automatiche sulle attività mi fanno risparmiare ore ogni settimana.",
            ),
            "integrations": (
                "L'integrazione con Salesforce ha funzionato subito e mantiene tutto sincronizzato.",
                "Collegare HubSpot e Zendesk ci ha richiesto meno di un'ora.",
                "Le API sono ben documentate e i nostri sviluppatori hanno creato un connettore personalizzato in un giorno.",
                "Comodissimo che i dati di utilizzo del prodotto arrivino in automatico tramite il connettore di Segment.",
            ),
            "training": (
                "Le sessioni di formazione erano pratiche e pensate per il nostro modo di lavorare.",
                "I video tutorial e gli articoli del centro assistenza sono ottimi.",
                "I nuovi assunti diventano autonomi in fretta grazie ai corsi dell'academy.",
                "Il formatore è stato paziente e ha risposto a tutte le domande, anche a quelle più banali.",
            ),
        },
        "neutral": {
            "onboarding": (
                "Nel complesso l'onboarding è andato bene, anche se l'importazione dei dati ha richiesto più tempo del previsto.",
                "La configurazione funziona, ma ci sono servite un paio di call in più per impostare i segmenti.",
                "Il piano di onboarding era chiaro, solo che sono servite tre settimane invece delle due promesse.",
                "L'avvio è stato nella norma. Alcuni passaggi della checklist per noi non erano rilevanti.",
            ),
            "support": (
                "Di solito l'assistenza risponde entro un giorno. Va bene, ma non è particolarmente veloce.",
                "Il supporto è gentile, però i problemi complessi vengono spesso inoltrati al secondo livello e ci vuole tempo.",
                "I ticket prima o poi vengono risolti; una chat dal vivo sarebbe utile.",
                "L'assistenza è nella media: la qualità dipende molto da chi prende in carico il ticket.",
            ),
            "usability": (
                "Una volta imparata è abbastanza semplice, ma il menu delle impostazioni è un po' confuso.",
                "L'interfaccia fa il suo lavoro, anche se alcune schermate sono troppo affollate.",
                "Per lo più intuitiva, ma creare un report richiede ancora troppi clic.",
                "Da computer si usa senza problemi, mentre la versione mobile è piuttosto limitata.",
            ),
            "reliability": (
                "In genere è stabile, con qualche rallentamento il lunedì mattina.",
                "Funziona, ma la sincronizzazione notturna a volte finisce in ritardo.",
                "Quest'anno ci sono stati un paio di brevi disservizi. Niente di grave, ma si notano.",
                "Le prestazioni sono accettabili, anche se le dashboard più grandi sono lente a caricarsi.",
            ),
            "pricing": (
                "Il prezzo è in linea con gli altri strumenti sul mercato.",
                "Il piano base ha un prezzo onesto, ma i moduli aggiuntivi diventano cari in fretta.",
                "Per noi vale il costo, anche se al momento è difficile giustificare altre licenze.",
                "Il costo delle licenze va bene; apprezzeremmo opzioni di fatturazione più flessibili.",
            ),
            "features": (
                "Le funzionalità principali coprono le nostre esigenze, ma la reportistica potrebbe essere più flessibile.",
                "Fa bene le cose di base. Stiamo ancora aspettando i campi personalizzati nei playbook.",
                "Buon insieme di funzionalità, anche se manca qualcosa che usavamo nel vecchio strumento.",
                "Alcune funzioni sono ottime, altre sembrano incomplete.",
            ),
            "integrations": (
                "Il connettore Salesforce funziona, ma la mappatura dei campi è stata complicata.",
                "Le integrazioni vanno bene per gli strumenti più diffusi; per tutto il resto servono le API.",
                "L'integrazione con Slack è utile, anche se le notifiche non si possono filtrare granché.",
                "Le API coprono quasi tutto quello che ci serve, ma i limiti di chiamate sono un po' stretti.",
            ),
            "training": (
                "La formazione è stata utile, anche se un po' troppo generica per il nostro caso.",
                "La documentazione è discreta, ma alcuni articoli non sono aggiornati.",
                "Le sessioni di formazione erano nella media; servirebbe materiale più avanzato.",
                "Abbiamo seguito i webinar: utili per chi inizia, meno per gli amministratori.",
            ),
        },
        "negative": {
            "onboarding": (
                "L'onboarding è durato due mesi e non abbiamo ancora finito la configurazione.",
                "Durante l'onboarding nessuno ci ha spiegato come impostare gli health score, abbiamo dovuto arrangiarci.",
                "Onboarding disorganizzato: abbiamo cambiato tre referenti in quattro settimane.",
                "L'importazione dei dati è fallita più volte durante l'avvio e nessuno sapeva dirci perché.",
            ),
            "support": (
                "L'assistenza impiega giorni a rispondere e le risposte raramente risolvono qualcosa.",
                "A ogni ticket mi chiedono di nuovo le stesse informazioni. Davvero frustrante.",
                "Il nostro ticket urgente è rimasto senza risposta per tutto il fine settimana. Inaccettabile.",
                "Il supporto ha chiuso il ticket senza risolvere il problema.",
            ),
            "usability": (
                "L'interfaccia è confusa e niente si trova dove ci si aspetterebbe.",
                "Troppi clic per operazioni semplici, il mio team evita di accedere.",
                "Filtrare i clienti è macchinoso e la ricerca non trova quasi mai quello che cerco.",
                "Con l'ultimo restyling è diventato tutto più difficile da trovare.",
            ),
            "reliability": (
                "La piattaforma è andata giù due volte durante la settimana dei rinnovi. Ci è costato caro.",
                "Le dashboard vanno continuamente in timeout e i dati sono spesso indietro di un giorno.",
                "Errori frequenti quando salvo le note: abbiamo perso il lavoro più di una volta.",
                "La sincronizzazione fallisce quasi ogni settimana e ce ne accorgiamo solo quando i numeri non tornano.",
            ),
            "pricing": (
                "Decisamente troppo caro per quello che offre.",
                "Al rinnovo il prezzo è aumentato del 30% senza alcun valore aggiunto per noi.",
                "Pagare la licenza anche per gli utenti in sola lettura rende il costo ingiustificabile.",
                "Costi nascosti per i moduli extra: la spesa reale è molto più alta del preventivo.",
            ),
            "features": (
                "Mancano ancora funzionalità di base come i report personalizzati.",
                "La roadmap continua a promettere novità che non arrivano mai.",
                "I playbook sono troppo rigidi per adattarsi al nostro processo.",
                "Il modulo dei sondaggi è molto limitato rispetto agli strumenti dedicati.",
            ),
            "integrations": (
                "La sincronizzazione con Salesforce si blocca di continuo e crea account duplicati.",
                "Non esiste un connettore nativo per Intercom e la documentazione delle API è incompleta.",
                "L'integrazione con HubSpot sincronizza in una sola direzione, quindi per noi è quasi inutile.",
                "I webhook falliscono senza alcun avviso e non sappiamo mai quando mancano dei dati.",
            ),
            "training": (
                "Non c'è stata una vera formazione, solo un link al centro assistenza.",
                "Le sessioni di formazione erano frettolose e non hanno trattato per niente la parte di amministrazione.",
                "I tutorial sono vecchi e mostrano schermate che non esistono più.",
                "Per i nuovi colleghi non c'è un percorso di formazione, quindi ognuno impara per tentativi.",
            ),
        },
    },
    # ----------------------------------------------------------------- Japanese
    "ja": {
        "positive": {
            "onboarding": (
                "オンボーディングはとてもスムーズで、1週間で最初のダッシュボードを使い始められました。",
                "キックオフの打ち合わせと設定チェックリストのおかげで、迷わず導入を進められました。",
                "導入担当の方が当社の業界をよく理解しており、チーム全員がすぐに使えるようになりました。",
                "導入時の顧客データの取り込みが数分で終わり、驚きました。",
            ),
            "support": (
                "サポートに問い合わせたら1時間以内に返信があり、問題もきちんと解決しました。",
                "チケットを出すたびに、知識のある担当者が丁寧に対応してくれます。",
                "問題が解決するまで電話で付き合ってくださったサポートチームに感謝しています。",
                "対応が早くて親切です。1週間後にも、その後問題がないか確認の連絡をいただきました。",
            ),
            "usability": (
                "画面がすっきりしていて直感的なので、チームへの説明はほとんど不要でした。",
                "必要な情報がすぐに見つかります。顧客のヘルススコアも2クリックで確認できます。",
                "ITに詳しくないメンバーでも簡単に使いこなせています。",
                "新しいナビゲーションになってから、日々の作業がかなり速くなりました。",
            ),
            "reliability": (
                "とても安定しています。システムが止まった記憶がありません。",
                "ページの表示が速く、毎晩のデータ同期も確実に行われています。",
                "毎週の契約更新レビューで使っていますが、一度もトラブルがありません。",
                "全顧客のデータを入れても、動作は安定していて速いです。",
            ),
            "pricing": (
                "以前使っていたツールと比べて、価格に対する価値が非常に高いと思います。",
                "料金体系が明確で、ユーザー単位のライセンスも当社の規模にちょうど良いです。",
                "解約防止の効果で、最初の四半期のうちに費用を回収できました。",
                "費用は妥当で、請求書に想定外の項目もありません。",
            ),
            "features": (
                "ヘルススコアと契約更新のアラートは、まさに私たちが求めていた機能です。",
                "プレイブック機能のおかげで、QBRの進め方が大きく変わりました。",
                "解約リスクの一覧画面が素晴らしく、新しいアンケート作成機能も便利です。",
                "リリースのたびに役立つ機能が追加されます。タスクの自動化ルールで毎週何時間も節約できています。",
            ),
            "integrations": (
                "Salesforceとの連携は設定してすぐに動き、データが常に同期されています。",
                "HubSpotとZendeskの接続は1時間もかかりませんでした。",
                "APIのドキュメントが充実しているので、エンジニアが1日で独自のコネクタを作れました。",
                "Segmentのコネクタで製品の利用データが自動的に取り込まれるのがとても便利です。",
            ),
            "training": (
                "トレーニングは実践的で、私たちの業務に合わせた内容でした。",
                "動画チュートリアルとヘルプセンターの記事がとても分かりやすいです。",
                "アカデミーの講座のおかげで、新入社員もすぐに戦力になっています。",
                "講師の方が辛抱強く、初歩的な質問にも丁寧に答えてくださいました。",
            ),
        },
        "neutral": {
            "onboarding": (
                "オンボーディングは全体的に問題ありませんでしたが、データ移行に予定より時間がかかりました。",
                "初期設定はできましたが、セグメントの設定のために追加の打ち合わせが2回必要でした。",
                "導入計画は分かりやすかったです。ただ、2週間の予定が3週間ほどかかりました。",
                "導入は可もなく不可もなくでした。チェックリストには当社に関係のない手順も含まれていました。",
            ),
            "support": (
                "サポートからは大抵1日以内に返信があります。十分ですが、特に早いわけではありません。",
                "サポートの対応は丁寧ですが、複雑な問題はエスカレーションされて時間がかかることが多いです。",
                "チケットは最終的には解決されます。チャットで問い合わせできると助かります。",
                "サポートの質は普通です。担当者によって対応にばらつきがあります。",
            ),
            "usability": (
                "慣れれば使いやすいですが、設定メニューが少し分かりにくいです。",
                "画面は必要な役割を果たしていますが、一部の画面は情報が多すぎると感じます。",
                "おおむね直感的ですが、レポート作成にはまだクリック数が多すぎます。",
                "パソコンでは問題なく使えますが、スマートフォン版はかなり機能が限られています。",
            ),
            "reliability": (
                "おおむね安定していますが、月曜の朝は動作が遅くなることがあります。",
                "動作はしていますが、夜間の同期が遅れて終わることがときどきあります。",
                "今年は短時間の障害が2回ほどありました。大きな問題ではないものの、気にはなります。",
                "パフォーマンスは許容範囲ですが、大きなダッシュボードは読み込みに時間がかかります。",
            ),
            "pricing": (
                "価格は市場の他のツールと同程度だと思います。",
                "基本プランの料金は妥当ですが、オプションを追加するとすぐに高くなります。",
                "費用に見合う価値はありますが、今はライセンスを増やす予算を確保するのが難しいです。",
                "ライセンス費用は問題ありません。支払い方法がもう少し柔軟だとありがたいです。",
            ),
            "features": (
                "主要な機能で必要なことはできますが、レポート機能はもっと柔軟にしてほしいです。",
                "基本的な機能はしっかりしています。プレイブックのカスタム項目はまだ対応待ちです。",
                "機能は充実していますが、以前のツールで使っていた機能がいくつか足りません。",
                "とても良い機能もあれば、まだ未完成に感じる機能もあります。",
            ),
            "integrations": (
                "Salesforceコネクタは動作していますが、項目のマッピング設定に苦労しました。",
                "主要なツールとの連携は問題ありませんが、それ以外はAPIを使う必要があります。",
                "Slack連携は便利ですが、通知をあまり細かく絞り込めません。",
                "APIで必要なことはほぼできますが、レート制限が少し厳しいです。",
            ),
            "training": (
                "トレーニングは役に立ちましたが、当社の使い方には少し一般的すぎました。",
                "ドキュメントはそれなりに揃っていますが、古くなっている記事もあります。",
                "研修は普通でした。もう少し上級者向けの内容があると良いです。",
                "ウェビナーに参加しました。初心者には役立ちますが、管理者向けの情報は少なめです。",
            ),
        },
        "negative": {
            "onboarding": (
                "オンボーディングが2か月も続き、いまだに設定が終わっていません。",
                "導入時にヘルススコアの設定方法を誰も説明してくれず、自分たちで調べるしかありませんでした。",
                "導入の進め方がまとまっておらず、4週間で担当者が3回も変わりました。",
                "初期設定中にデータの取り込みが何度も失敗し、原因も教えてもらえませんでした。",
            ),
            "support": (
                "サポートの返信に何日もかかり、回答もほとんど解決につながりません。",
                "チケットを出すたびに同じ情報を何度も求められ、とてもストレスです。",
                "緊急のチケットが週末の間ずっと放置されました。ありえない対応です。",
                "問題が解決していないのに、サポートにチケットを閉じられてしまいました。",
            ),
            "usability": (
                "画面が分かりにくく、どこに何があるのか見当がつきません。",
                "簡単な作業にもクリックが多すぎて、チームのメンバーがログインしたがりません。",
                "顧客の絞り込みが使いづらく、検索しても目的のものがなかなか見つかりません。",
                "最近のデザイン変更で、かえって何もかも探しにくくなりました。",
            ),
            "reliability": (
                "契約更新が集中する週に2回もシステムが停止し、大きな損失になりました。",
                "ダッシュボードが頻繁にタイムアウトし、データも1日遅れていることがよくあります。",
                "メモを保存するときにエラーが頻発し、入力した内容が何度も消えました。",
                "同期の失敗がほぼ毎週起きていて、数字がおかしいと気づいて初めて分かります。",
            ),
            "pricing": (
                "提供される機能に対して、価格が高すぎます。",
                "更新時に料金が30%も上がったのに、私たちにとって新しい価値は何もありませんでした。",
                "閲覧だけのユーザーにもライセンス費用がかかるので、このコストは正当化できません。",
                "追加モジュールに隠れた費用があり、実際のコストは見積もりよりはるかに高くなりました。",
            ),
            "features": (
                "カスタムレポートのような基本的な機能がいまだにありません。",
                "ロードマップで約束された機能が、いつまで経ってもリリースされません。",
                "プレイブックの自由度が低すぎて、当社の業務には使えません。",
                "アンケート機能は専用ツールと比べるとかなり物足りないです。",
            ),
            "integrations": (
                "Salesforceとの同期が頻繁に止まり、重複したアカウントが作られてしまいます。",
                "Intercom用の標準コネクタがなく、APIのドキュメントも不十分です。",
                "HubSpot連携は片方向の同期しかできないので、当社にとってはほとんど役に立ちません。",
                "Webhookがエラーを出さずに失敗するため、データの欠落にいつも気づけません。",
            ),
            "training": (
                "まともなトレーニングはなく、ヘルプセンターのリンクを渡されただけでした。",
                "研修は駆け足で、管理者向けの作業はまったく扱われませんでした。",
                "チュートリアルの内容が古く、今はもうない画面が映っています。",
                "新しいメンバー向けの研修の仕組みがなく、みんな試行錯誤で覚えています。",
            ),
        },
    },
    # ------------------------------------------------------------------- Arabic
    "ar": {
        "positive": {
            "onboarding": (
                "كانت عملية التهيئة سلسة للغاية، وأصبحت لوحات المعلومات الأولى جاهزة خلال أسبوع واحد.",
                "ساعدنا الاجتماع التمهيدي وقائمة خطوات الإعداد على البدء بسهولة كبيرة.",
                "كان مسؤول التهيئة لدينا يفهم مجال عملنا جيدًا، فبدأ الفريق كله العمل بسرعة.",
                "استغرق استيراد بيانات عملائنا أثناء التهيئة دقائق معدودة فقط.",
            ),
            "support": (
                "رد فريق الدعم خلال أقل من ساعة وحل المشكلة فعلًا.",
                "في كل مرة أفتح فيها تذكرة دعم أجد شخصًا متمكنًا يفهم المشكلة.",
                "شكرًا جزيلًا لفريق الدعم الذي بقي معنا على الهاتف حتى حُلت المشكلة.",
                "دعم سريع ولطيف، وقد تواصلوا معنا بعد أسبوع للتأكد من أن كل شيء يعمل جيدًا.",
            ),
            "usability": (
                "الواجهة واضحة وبديهية، ولم يحتج فريقي إلى أي شرح تقريبًا.",
                "كل شيء في مكانه المتوقع، ويمكن الوصول إلى مؤشر صحة العميل بنقرتين فقط.",
                "سهلة الاستخدام جدًا، حتى لزملائنا غير المتخصصين في التقنية.",
                "نظام التنقل الجديد تحسين كبير، وأصبح العمل اليومي أسرع بكثير.",
            ),
            "reliability": (
                "المنصة مستقرة جدًا، ولا أتذكر آخر مرة توقفت فيها عن العمل.",
                "الصفحات تفتح بسرعة، ومزامنة البيانات الليلية تتم بانتظام دون مشاكل.",
                "نعتمد عليها أسبوعيًا في مراجعة التجديدات ولم تخذلنا مرة واحدة.",
                "الأداء سريع ومستقر حتى بعد تحميل قاعدة عملائنا بالكامل.",
            ),
            "pricing": (
                "قيمة ممتازة مقابل السعر، خاصة مقارنة بالأدوات التي كنا نستخدمها سابقًا.",
                "الأسعار واضحة، وسعر الترخيص لكل مستخدم مناسب لفريق بحجمنا.",
                "استعدنا تكلفة الاشتراك في الربع الأول بفضل التجديدات التي حافظنا عليها.",
                "التكلفة معقولة ولا توجد رسوم مفاجئة في الفاتورة.",
            ),
            "features": (
                "مؤشرات صحة العملاء وتنبيهات التجديد هي بالضبط ما كنا نحتاج إليه.",
                "غيرت ميزة الأدلة الإجرائية طريقة إدارتنا لمراجعات الأعمال الفصلية. ميزة رائعة.",
                "عرض مخاطر فقدان العملاء ممتاز، وأداة إنشاء الاستبيانات الجديدة إضافة جميلة.",
                "كل إصدار جديد يضيف ميزة مفيدة، وقواعد المهام التلقائية توفر علي ساعات كل أسبوع.",
            ),
            "integrations": (
                "عمل التكامل مع Salesforce مباشرة دون تعقيد، ويحافظ على تزامن كل البيانات.",
                "استغرق ربط HubSpot وZendesk أقل من ساعة.",
                "واجهة البرمجة (API) موثقة جيدًا، وتمكن مهندسونا من بناء موصل مخصص في يوم واحد.",
                "من الرائع أن بيانات استخدام منتجنا تصل تلقائيًا عبر موصل Segment.",
            ),
            "training": (
                "كانت جلسات التدريب عملية ومصممة وفق طريقة عمل فريقنا.",
                "مقاطع الفيديو التعليمية ومقالات مركز المساعدة ممتازة.",
                "يتقن الموظفون الجدد استخدام المنصة بسرعة بفضل دورات الأكاديمية التدريبية.",
                "كان المدرب صبورًا وأجاب عن كل الأسئلة، حتى البسيطة منها.",
            ),
        },
        "neutral": {
            "onboarding": (
                "كانت التهيئة جيدة بشكل عام، لكن استيراد البيانات استغرق وقتًا أطول من المخطط له.",
                "الإعداد يعمل، لكننا احتجنا إلى اجتماعين إضافيين لضبط شرائح العملاء.",
                "كانت خطة التهيئة واضحة، إلا أنها استغرقت ثلاثة أسابيع بدلًا من الأسبوعين الموعودين.",
                "كانت مرحلة التهيئة عادية، وبعض خطوات قائمة الإعداد لم تكن تخصنا.",
            ),
            "support": (
                "يرد الدعم عادة خلال يوم واحد، وهذا مقبول لكنه ليس سريعًا بشكل خاص.",
                "فريق الدعم مهذب، لكن المشكلات المعقدة تُحال غالبًا إلى مستوى أعلى وتستغرق وقتًا.",
                "تُحل التذاكر في النهاية، لكن وجود دردشة مباشرة مع الدعم سيكون إضافة مفيدة.",
                "الدعم متوسط، وجودة الرد تعتمد كثيرًا على الموظف الذي يتولى التذكرة.",
            ),
            "usability": (
                "الاستخدام سهل بعد التعود عليه، لكن قوائم الإعدادات مربكة بعض الشيء.",
                "الواجهة تؤدي الغرض، وإن كانت بعض الشاشات مزدحمة.",
                "بديهية في معظمها، لكن إنشاء التقارير ما زال يتطلب نقرات أكثر من اللازم.",
                "يمكن استخدامها بلا مشاكل على الحاسوب، أما نسخة الهاتف فمحدودة جدًا.",
            ),
            "reliability": (
                "المنصة مستقرة عمومًا، مع بعض البطء أحيانًا صباح يوم الاثنين.",
                "تعمل المنصة، لكن المزامنة الليلية تنتهي متأخرة في بعض الأحيان.",
                "تعرضنا هذا العام لانقطاعين قصيرين في الخدمة، لم يكن الأمر خطيرًا لكنه كان ملحوظًا.",
                "الأداء مقبول، لكن لوحات المعلومات الكبيرة تستغرق وقتًا في التحميل.",
            ),
            "pricing": (
                "السعر مماثل لأسعار الأدوات الأخرى في السوق.",
                "سعر الباقة الأساسية عادل، لكن الوحدات الإضافية تصبح مكلفة بسرعة.",
                "التكلفة تستحق بالنسبة لنا، لكن من الصعب حاليًا تبرير شراء تراخيص إضافية.",
                "تكلفة التراخيص مقبولة، ونتمنى خيارات دفع أكثر مرونة.",
            ),
            "features": (
                "الميزات الأساسية تلبي احتياجاتنا، لكن التقارير يمكن أن تكون أكثر مرونة.",
                "تؤدي الأساسيات بشكل جيد، وما زلنا ننتظر الحقول المخصصة في الأدلة الإجرائية.",
                "مجموعة ميزات جيدة، لكن تنقصها بعض الوظائف التي كنا نستخدمها في أداتنا السابقة.",
                "بعض الميزات ممتازة، وبعضها الآخر يبدو غير مكتمل.",
            ),
            "integrations": (
                "موصل Salesforce يعمل، لكن ربط الحقول كان معقدًا عند الإعداد.",
                "التكاملات جيدة مع الأدوات الشائعة، أما غيرها فيتطلب استخدام واجهة API.",
                "التكامل مع Slack مفيد، لكن لا يمكن تصفية الإشعارات بشكل كافٍ.",
                "تغطي واجهة API معظم ما نحتاجه، لكن حدود عدد الطلبات ضيقة بعض الشيء.",
            ),
            "training": (
                "كان التدريب مفيدًا، لكنه عام أكثر من اللازم بالنسبة لحالتنا.",
                "التوثيق جيد إلى حد ما، لكن بعض المقالات غير محدثة.",
                "جلسات التدريب كانت مقبولة، لكننا نحتاج إلى محتوى أكثر تقدمًا.",
                "حضرنا الندوات التدريبية عبر الإنترنت، وهي مفيدة للمبتدئين لكنها أقل فائدة لمسؤولي النظام.",
            ),
        },
        "negative": {
            "onboarding": (
                "استمرت عملية التهيئة شهرين، وما زلنا لم ننتهِ من الإعداد بالكامل.",
                "لم يشرح لنا أحد أثناء التهيئة كيفية ضبط مؤشرات صحة العملاء، فاضطررنا إلى اكتشاف ذلك بأنفسنا.",
                "كانت التهيئة غير منظمة، وتغير مسؤول التواصل معنا ثلاث مرات في أربعة أسابيع.",
                "فشل استيراد البيانات عدة مرات أثناء الإعداد، ولم يستطع أحد أن يخبرنا بالسبب.",
            ),
            "support": (
                "يستغرق الدعم أيامًا للرد، ونادرًا ما تحل إجاباته أي مشكلة.",
                "يُطلب مني تقديم المعلومات نفسها في كل تذكرة دعم، وهذا محبط جدًا.",
                "بقيت تذكرتنا العاجلة بلا رد طوال عطلة نهاية الأسبوع، وهذا غير مقبول.",
                "أغلق فريق الدعم تذكرتي دون أن يحل المشكلة.",
            ),
            "usability": (
                "الواجهة مربكة، ولا شيء موجود في المكان المتوقع.",
                "المهام البسيطة تتطلب نقرات كثيرة جدًا، لذلك يتجنب فريقي تسجيل الدخول.",
                "تصفية الحسابات مزعجة، والبحث نادرًا ما يجد ما أبحث عنه.",
                "أصبح العثور على أي شيء أصعب بعد التصميم الجديد للواجهة.",
            ),
            "reliability": (
                "توقفت المنصة مرتين خلال أسبوع التجديدات، وقد كلفنا ذلك كثيرًا.",
                "تنتهي مهلة تحميل لوحات المعلومات باستمرار، وغالبًا ما تكون البيانات متأخرة يومًا كاملًا.",
                "تظهر أخطاء متكررة عند حفظ الملاحظات، وقد فقدنا عملنا أكثر من مرة.",
                "تفشل المزامنة كل أسبوع تقريبًا، ولا نكتشف ذلك إلا عندما تبدو الأرقام خاطئة.",
            ),
            "pricing": (
                "السعر مرتفع جدًا مقارنة بما تقدمه المنصة.",
                "ارتفع السعر بنسبة 30% عند التجديد دون أي قيمة جديدة لنا.",
                "فرض رسوم ترخيص على المستخدمين الذين يكتفون بالاطلاع يجعل التكلفة غير مبررة.",
                "هناك رسوم خفية للوحدات الإضافية، والتكلفة الفعلية أعلى بكثير من عرض السعر.",
            ),
            "features": (
                "ما زالت ميزات أساسية مثل التقارير المخصصة غير متوفرة.",
                "تعد خارطة الطريق دائمًا بميزات لا تصدر أبدًا.",
                "ميزة الأدلة الإجرائية جامدة جدًا ولا تناسب طريقة عملنا.",
                "وحدة الاستبيانات محدودة جدًا مقارنة بالأدوات المتخصصة.",
            ),
            "integrations": (
                "تتعطل المزامنة مع Salesforce باستمرار وتنشئ حسابات مكررة.",
                "لا يوجد موصل أصلي لـ Intercom، وتوثيق واجهة API غير مكتمل.",
                "التكامل مع HubSpot يزامن البيانات في اتجاه واحد فقط، لذا فهو شبه عديم الفائدة لنا.",
                "تفشل خطافات الويب (Webhooks) دون أي تنبيه، فلا نعرف أبدًا متى تكون البيانات ناقصة.",
            ),
            "training": (
                "لم يكن هناك تدريب حقيقي، مجرد رابط لمركز المساعدة.",
                "كانت جلسات التدريب متسرعة ولم تتناول مهام الإدارة إطلاقًا.",
                "الدروس التعليمية قديمة وتعرض شاشات لم تعد موجودة.",
                "لا يوجد مسار تدريبي واضح للموظفين الجدد، لذلك يتعلم الجميع بالتجربة والخطأ.",
            ),
        },
    },
    # ------------------------------------------------------------------- Polish
    "pl": {
        "positive": {
            "onboarding": (
                "Wdrożenie przebiegło bezproblemowo, pierwsze dashboardy działały już po tygodniu.",
                "Spotkanie startowe i lista kroków konfiguracji bardzo ułatwiły nam początek.",
                "Nasza opiekunka wdrożenia znała naszą branżę i szybko przygotowała cały zespół do pracy.",
                "Import danych klientów podczas wdrożenia zajął dosłownie kilka minut.",
            ),
            "support": (
                "Wsparcie odpowiedziało w niecałą godzinę i faktycznie rozwiązało problem.",
                "Za każdym razem, gdy zgłaszam ticket, trafiam na kompetentną osobę, a nie na gotowe formułki.",
                "Wielkie dzięki dla zespołu wsparcia, który był z nami na linii, dopóki problem nie został rozwiązany.",
                "Szybka i życzliwa pomoc techniczna. Tydzień później sami zapytali, czy wszystko działa.",
            ),
            "usability": (
                "Interfejs jest przejrzysty i intuicyjny, zespół prawie nie potrzebował wyjaśnień.",
                "Wszystko jest tam, gdzie się spodziewasz. Wskaźnik kondycji klienta widać po dwóch kliknięciach.",
                "Bardzo łatwy w obsłudze, nawet dla mniej technicznych osób w zespole.",
                "Nowa nawigacja to duża poprawa, codzienna praca idzie teraz dużo szybciej.",
            ),
            "reliability": (
                "Platforma działa niezawodnie, nie pamiętam, kiedy ostatnio była niedostępna.",
                "Strony ładują się szybko, a nocna synchronizacja danych zawsze kończy się na czas.",
                "Korzystamy z niej co tydzień przy przeglądzie odnowień i jeszcze nigdy nas nie zawiodła.",
                "Stabilna i szybka, nawet po załadowaniu całej naszej bazy klientów.",
            ),
            "pricing": (
                "Świetny stosunek jakości do ceny, zwłaszcza w porównaniu z narzędziami, których używaliśmy wcześniej.",
                "Cennik jest przejrzysty, a licencja na użytkownika jest uczciwa dla zespołu naszej wielkości.",
                "Narzędzie zwróciło się już w pierwszym kwartale dzięki uratowanym odnowieniom.",
                "Rozsądny koszt i żadnych niespodzianek na fakturze.",
            ),
            "features": (
                "Wskaźniki kondycji klientów i alerty o odnowieniach to dokładnie to, czego potrzebowaliśmy.",
                "Playbooki zmieniły sposób, w jaki prowadzimy kwartalne przeglądy biznesowe. Świetna funkcja.",
                "Widok ryzyka odejścia klientów jest znakomity, a nowy kreator ankiet to miły dodatek.",
                "Każde wydanie wnosi coś przydatnego. Automatyczne reguły zadań oszczędzają mi kilka godzin tygodniowo.",
            ),
            "integrations": (
                "Integracja z Salesforce zadziałała od razu i wszystko jest na bieżąco zsynchronizowane.",
                "Podłączenie HubSpota i Zendeska zajęło nam mniej niż godzinę.",
                "API jest dobrze udokumentowane, nasi programiści zbudowali własny konektor w jeden dzień.",
                "Bardzo wygodne, że dane o użyciu produktu spływają automatycznie przez konektor Segmentu.",
            ),
            "training": (
                "Szkolenia były praktyczne i dopasowane do tego, jak naprawdę pracuje nasz zespół.",
                "Filmy instruktażowe i artykuły w centrum pomocy są świetne.",
                "Nowi pracownicy szybko się wdrażają dzięki kursom w akademii.",
                "Trener był cierpliwy i odpowiedział na każde pytanie, nawet te najprostsze.",
            ),
        },
        "neutral": {
            "onboarding": (
                "Wdrożenie ogólnie poszło dobrze, choć import danych trwał dłużej, niż planowaliśmy.",
                "Konfiguracja działa, ale potrzebowaliśmy dwóch dodatkowych spotkań, żeby ustawić segmenty.",
                "Plan wdrożenia był jasny, tylko zamiast obiecanych dwóch tygodni zajęło to trzy.",
                "Start był w porządku. Część kroków z listy wdrożeniowej w ogóle nas nie dotyczyła.",
            ),
            "support": (
                "Wsparcie zwykle odpowiada w ciągu doby. Wystarczająco, choć bez rewelacji.",
                "Zespół wsparcia jest uprzejmy, ale złożone problemy często są eskalowane i trwa to długo.",
                "Zgłoszenia w końcu są rozwiązywane; przydałby się czat na żywo.",
                "Pomoc techniczna jest przeciętna, wiele zależy od tego, kto przejmie zgłoszenie.",
            ),
            "usability": (
                "Po nauczeniu się obsługa jest dość prosta, ale menu ustawień bywa mylące.",
                "Interfejs spełnia swoje zadanie, choć niektóre ekrany są przeładowane.",
                "W większości intuicyjny, ale tworzenie raportów nadal wymaga zbyt wielu kliknięć.",
                "Na komputerze korzysta się wygodnie, za to wersja mobilna jest dość ograniczona.",
            ),
            "reliability": (
                "Zasadniczo działa stabilnie, choć w poniedziałkowe poranki system czasem zwalnia.",
                "Działa, ale nocna synchronizacja czasami kończy się z opóźnieniem.",
                "W tym roku mieliśmy dwie krótkie awarie. Nic poważnego, ale dało się je odczuć.",
                "Wydajność jest akceptowalna, choć duże dashboardy długo się ładują.",
            ),
            "pricing": (
                "Cena jest na podobnym poziomie jak w przypadku innych narzędzi na rynku.",
                "Podstawowy plan ma uczciwą cenę, ale moduły dodatkowe szybko podnoszą koszt.",
                "Dla nas to się opłaca, choć obecnie trudno uzasadnić zakup kolejnych licencji.",
                "Koszt licencji jest w porządku, ale przydałyby się bardziej elastyczne opcje rozliczeń.",
            ),
            "features": (
                "Podstawowe funkcje pokrywają nasze potrzeby, ale raportowanie mogłoby być bardziej elastyczne.",
                "Podstawy działają dobrze. Nadal czekamy na pola niestandardowe w playbookach.",
                "Solidny zestaw funkcji, choć brakuje kilku rzeczy, z których korzystaliśmy w poprzednim narzędziu.",
                "Niektóre funkcje są świetne, inne sprawiają wrażenie niedokończonych.",
            ),
            "integrations": (
                "Konektor do Salesforce działa, ale mapowanie pól było trudne do skonfigurowania.",
                "Integracje z popularnymi narzędziami są w porządku, do wszystkiego innego trzeba używać API.",
                "Integracja ze Slackiem jest przydatna, choć powiadomień nie da się zbytnio filtrować.",
                "API obsługuje większość tego, czego potrzebujemy, ale limity zapytań są dość ciasne.",
            ),
            "training": (
                "Szkolenie było przydatne, choć trochę zbyt ogólne jak na nasze potrzeby.",
                "Dokumentacja jest niezła, ale część artykułów jest nieaktualna.",
                "Szkolenia były w porządku, przydałyby się materiały dla bardziej zaawansowanych.",
                "Byliśmy na webinarach: przydatne dla początkujących, mniej dla administratorów.",
            ),
        },
        "negative": {
            "onboarding": (
                "Wdrożenie ciągnęło się dwa miesiące i nadal nie mamy wszystkiego skonfigurowanego.",
                "Podczas wdrożenia nikt nie wyjaśnił nam, jak ustawić wskaźniki kondycji klientów, musieliśmy radzić sobie sami.",
                "Wdrożenie było chaotyczne: w ciągu czterech tygodni zmieniło się trzech opiekunów.",
                "Import danych kilka razy się nie powiódł podczas konfiguracji i nikt nie umiał powiedzieć dlaczego.",
            ),
            "support": (
                "Wsparcie odpowiada po kilku dniach, a odpowiedzi rzadko cokolwiek rozwiązują.",
                "W każdym zgłoszeniu proszą mnie o te same informacje. Bardzo frustrujące.",
                "Nasze pilne zgłoszenie przeleżało cały weekend bez odpowiedzi. To niedopuszczalne.",
                "Pomoc techniczna zamknęła moje zgłoszenie, nie rozwiązując problemu.",
            ),
            "usability": (
                "Interfejs jest nieczytelny i nic nie jest tam, gdzie powinno być.",
                "Za dużo kliknięć przy prostych czynnościach, mój zespół unika logowania się.",
                "Filtrowanie klientów jest toporne, a wyszukiwarka rzadko znajduje to, czego szukam.",
                "Po ostatniej zmianie wyglądu wszystko trudniej znaleźć.",
            ),
            "reliability": (
                "Platforma padła dwa razy w tygodniu odnowień. To nas sporo kosztowało.",
                "Dashboardy ciągle przekraczają limit czasu, a dane często są opóźnione o dzień.",
                "Częste błędy przy zapisywaniu notatek, już kilka razy straciliśmy swoją pracę.",
                "Synchronizacja psuje się prawie co tydzień, a dowiadujemy się o tym dopiero, gdy liczby się nie zgadzają.",
            ),
            "pricing": (
                "Zdecydowanie za drogo w stosunku do tego, co oferuje.",
                "Przy odnowieniu cena wzrosła o 30%, a my nie dostaliśmy nic nowego.",
                "Płacenie za licencje dla użytkowników, którzy tylko przeglądają dane, sprawia, że koszt jest nie do uzasadnienia.",
                "Ukryte opłaty za dodatkowe moduły. Faktyczny koszt jest dużo wyższy niż w ofercie.",
            ),
            "features": (
                "Wciąż brakuje podstawowych funkcji, takich jak raporty niestandardowe.",
                "Roadmapa ciągle obiecuje nowe funkcje, które nigdy się nie pojawiają.",
                "Playbooki są zbyt sztywne, żeby pasowały do naszego procesu.",
                "Moduł ankiet jest bardzo ograniczony w porównaniu z dedykowanymi narzędziami.",
            ),
            "integrations": (
                "Synchronizacja z Salesforce ciągle się psuje i tworzy zduplikowane konta.",
                "Nie ma natywnego konektora do Intercomu, a dokumentacja API jest niekompletna.",
                "Integracja z HubSpotem synchronizuje dane tylko w jedną stronę, więc jest dla nas prawie bezużyteczna.",
                "Webhooki zawodzą bez żadnego komunikatu, więc nigdy nie wiemy, kiedy brakuje danych.",
            ),
            "training": (
                "Nie było prawdziwego szkolenia, tylko link do centrum pomocy.",
                "Szkolenia były robione w pośpiechu i w ogóle nie obejmowały zadań administracyjnych.",
                "Samouczki są przestarzałe i pokazują ekrany, których już nie ma.",
                "Nowe osoby w zespole nie mają żadnej ścieżki szkoleniowej, więc każdy uczy się metodą prób i błędów.",
            ),
        },
    },
}


def pick(rng: np.random.Generator, language: str, sentiment: str, theme: str) -> str:
    """Return one hand-written comment for the given language, sentiment and theme.

    ``rng`` is a ``numpy.random.Generator``; the choice is uniform over the
    tuple at ``PHRASES[language][sentiment][theme]`` (a ``KeyError`` is raised
    for an unknown language, sentiment or theme).
    """
    options = PHRASES[language][sentiment][theme]
    return options[int(rng.integers(len(options)))]
